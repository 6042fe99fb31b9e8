export * from './keys';
export * from './codec';
