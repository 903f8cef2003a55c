// Each message is an order (JSON); one that cannot be read is reported as a failure, and SQS
// delivers it again, while the rest of the batch is done.
export const handler = async (event) => {
  const batchItemFailures = [];
  for (const record of event.Records) {
    try {
      const order = JSON.parse(record.body);
      if ([order.id, order.item, order.quantity].includes(undefined)) {
        throw new Error('an order needs an id, an item and a quantity');
      }
      console.log(`order ${order.id}: ${order.quantity} x ${order.item}`);
    } catch {
      console.log(`cannot read message ${record.messageId}`);
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
