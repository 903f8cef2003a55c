import { platform } from 'node:os';
export const handler = async () => ({ esm: typeof require === 'undefined', platform: platform() });
