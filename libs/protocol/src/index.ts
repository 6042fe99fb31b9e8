export * from './patterns';
export * from './subjects';
export * from './reasons';
export * from './types';
export * from './time';
export * from './validate';
export * from './asyncapi';
