export type CheckResult = 'ok' | 'degraded';

export interface ReadinessCheck {
  name: string;
  /** `critical` failures make the service unready (503); others only mark it degraded */
  critical: boolean;
  run(): Promise<CheckResult>;
}

export interface ReadinessReport {
  status: 'ok' | 'degraded' | 'unavailable';
  checks: Record<string, string>;
}

export class ReadinessRegistry {
  private readonly checks: ReadinessCheck[] = [];

  add(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  async report(timeoutMs = 2000): Promise<ReadinessReport> {
    const checks: Record<string, string> = {};
    let status: ReadinessReport['status'] = 'ok';
    await Promise.all(
      this.checks.map(async (check) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const result = await Promise.race([
            check.run(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
            }),
          ]);
          checks[check.name] = result;
          if (result === 'degraded' && status === 'ok') {
            status = 'degraded';
          }
        } catch (err) {
          checks[check.name] = `down: ${(err as Error).message}`.slice(0, 200);
          status = check.critical ? 'unavailable' : status === 'ok' ? 'degraded' : status;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return { status, checks };
  }
}
