export * from './simulate';
export * from './fixed-horizon';
export * from './search';
