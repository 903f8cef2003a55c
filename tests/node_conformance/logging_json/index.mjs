export const handler = async () => {
  console.log('plain message');
  console.info('formatted %s', 'text', 7);
  console.debug('dropped below INFO');
  console.error(new TypeError('as an object'));
  return 'json';
};
