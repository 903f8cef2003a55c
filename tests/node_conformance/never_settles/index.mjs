export const handler = async () => new Promise(() => {});
