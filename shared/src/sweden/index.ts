export * from './municipalities';
export * from './counties';
export * from './organisation-number';
export * from './languages';
export * from './time-zone';
