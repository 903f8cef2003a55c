export const handler = 42;
