export interface OperationCreate {
  name: string;
  municipalityCodes: string[];
  startsAt: string;
  endsAt: string;
  organiserUnitId: string;
  coordinatorUnitId?: string | null;
  invitedUnitIds: string[];
}

export interface ShiftCreate {
  unitId: string;
  userId: string;
  startsAt: string;
  endsAt: string;
}
