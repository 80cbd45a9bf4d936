import { Router } from 'express';
import type { MailOutbox } from '@porth/identity-core';
import type { ViewRenderer } from '../views-engine/renderer.js';
import { renderPage } from '../middleware/render.js';

/**
 * The development outbox: every email (and, once sent, every text message and call) the portal
 * produced, readable in the browser so a person can follow each journey without a mail server.
 * Mounted only outside production.
 */
export function devOutboxRoutes(outbox: MailOutbox, views: ViewRenderer): Router {
  const router = Router();
  router.get('/dev/outbox', async (_req, res) => {
    const messages = await outbox.listRecent({ limit: 100, allChannels: true });
    renderPage(views, res, 'dev/outbox', {
      titleKey: 'outbox.title',
      messages: messages.map((m) => ({
        id: m.id,
        channelKey: `outbox.channel_${m.channel === 'sms' || m.channel === 'voice' ? m.channel : 'email'}`,
        recipient: m.recipient,
        template: m.template,
        status: m.status,
        createdAt: m.createdAt.toISOString().replace('T', ' ').slice(0, 19),
        subject: m.content?.subject ?? null,
        text: m.content?.text ?? null,
      })),
    });
  });
  router.get('/dev/outbox/:id', async (req, res) => {
    const message = (await outbox.listRecent({ limit: 1000, allChannels: true })).find(
      (m) => m.id === req.params.id,
    );
    if (!message?.content) {
      renderPage(views, res, 'errors/not-found', {}, 404);
      return;
    }
    // The message's own HTML, shown as the recipient's mail program would: no scripts, no forms.
    res.setHeader(
      'Content-Security-Policy',
      "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    );
    res.type('html').send(message.content.html);
  });
  return router;
}
