export * from './data-source';
export * from './entities';
export * from './migrate';
export * from './canonical';
