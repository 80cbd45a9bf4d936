// Starts the SharePoint stand-in: `npm run example:sharepoint` (see README.md).
import { createSharePointApp } from './app.js';

const port = Number(process.env.SHAREPOINT_PORT ?? 3100);
const issuer = process.env.PORTH_ISSUER ?? 'http://localhost:3000';
const clientId = process.env.SHAREPOINT_CLIENT_ID ?? 'sharepoint';
const clientSecret = process.env.SHAREPOINT_CLIENT_SECRET;
const baseUrl = (process.env.SHAREPOINT_URL ?? `http://localhost:${port}`).replace(/\/$/, '');

if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('SHAREPOINT_PORT must be a port number');
  process.exit(2);
}
if (!clientSecret) {
  console.error(
    'Set SHAREPOINT_CLIENT_SECRET to the secret you registered with `npx porth client add` (see examples/sharepoint-rp/README.md).',
  );
  process.exit(2);
}

const { app } = createSharePointApp({ issuer, clientId, clientSecret, baseUrl });
app.listen(port, 'localhost', () => {
  console.log(`SharePoint example on ${baseUrl} (signing in through ${issuer} as ${clientId})`);
});
