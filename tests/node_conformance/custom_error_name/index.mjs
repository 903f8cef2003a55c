class OrderError extends Error {
  constructor(message) {
    super(message);
    this.name = 'OrderError';
  }
}
class Unnamed extends Error {}
export const handler = async (event) => {
  throw event.named ? new OrderError('no such order') : new Unnamed('unnamed');
};
