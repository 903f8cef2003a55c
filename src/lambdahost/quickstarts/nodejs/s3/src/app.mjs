// Called for each object put in the bucket: reads it and logs what it holds.
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';

const s3 = new S3Client({}); // created once per environment

export const handler = async (event) => {
  const sizes = {};
  for (const record of event.Records) {
    const bucket = record.s3.bucket.name;
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const body = Buffer.from(await object.Body.transformToByteArray());
    const lines = body.toString().split('\n').length - 1;
    console.log(`${key}: ${body.length} bytes, ${lines} lines`);
    sizes[key] = body.length;
  }
  return sizes;
};
