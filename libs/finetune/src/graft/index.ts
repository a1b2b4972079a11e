export * from './mask.ts';
export * from './graft.ts';
export * from './learn.ts';
export * from './file.ts';
