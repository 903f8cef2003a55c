// POST /items stores the JSON body as an item; GET /items/{id} reads it back.
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

const table = process.env.TABLE_NAME;
const items = DynamoDBDocumentClient.from(new DynamoDBClient({})); // created once per environment

export const handler = async (event) => {
  if (event.requestContext.http.method === 'POST') {
    const item = { ...JSON.parse(event.body || '{}'), id: randomUUID() };
    await items.send(new PutCommand({ TableName: table, Item: item }));
    return respond(201, item);
  }
  const found = (await items.send(new GetCommand({ TableName: table, Key: { id: event.pathParameters.id } }))).Item;
  return found ? respond(200, found) : respond(404, { message: 'no such item' });
};

const respond = (statusCode, body) => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
