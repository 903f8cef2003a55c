throw new RangeError('bad configuration');
export const handler = async () => 1;
