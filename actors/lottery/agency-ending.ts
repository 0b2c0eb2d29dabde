// An agency's last exchanges (lottery.md §3 Ex7): its close, then the winners query. Over
// protocol A one FIN, parked by the server until the draw and answered with WIN; over protocol B
// an AgencyClose, then WinnersRequests polled until the draw (NotReadyResponse meanwhile). The
// AgencyClient (agency.ts) runs these as the steps of its `closing` and `awaitingWinners` states.

import { encodeAFin, encodeB } from '../../protocols/lottery/index.ts';
import type { AgencyMsg } from './agency-machine.ts';
import type { Attempts } from './attempts.ts';
import type { ClientSettings } from './config.ts';
import { exchange, type ExchangeHandle, type ExchangeReply } from './exchange.ts';

export interface EndingDeps {
  /** The agency's settings now (a held agency gets its server's address at the go). */
  settings: () => ClientSettings;
  attempt: Attempts['run'];
  /** A protocol A request over the agency's kept-open link while it lasts. */
  requestA: (bytes: Buffer, timeoutMs?: number) => ExchangeHandle;
  post: (ev: AgencyMsg) => void;
  unexpected: (action: string, r: ExchangeReply) => void;
  debug: (msg: string, fields: Record<string, unknown>) => void;
}

export function closeAndWinners(d: EndingDeps): { sendClose(): void; askWinners(): void } {
  const { attempt, requestA, post, unexpected } = d;
  /**
   * A close is confirmed only by a reply: our server answers StoreResponse:0 once the close is
   * durable. A legacy server never answers (it drops the connection), and a server that dies right
   * after reading the close looks the same, so a dropped connection never counts as a confirmed
   * close. An unconfirmed close is sent again (closes are idempotent) before every winners request,
   * and any close is sent again after a failed connection: a restarted server that lost it still
   * hears it, and the draw happens. Against a legacy server that is one extra close per poll.
   */
  let closeConfirmed = false;
  const isCloseAnswer = (r: ExchangeReply): boolean => r.kind === 'eof' || (r.kind === 'B' && r.packet.type === 'StoreResponse' && r.packet.status === 0);

  function sendClose(): void {
    const s = d.settings();
    if (s.protocol === 'A') {
      // FIN stays open until the draw and is answered with WIN: parked, no timeout.
      attempt(
        'consulta_ganadores',
        () => requestA(encodeAFin(s.id)),
        (r) => (r.kind === 'A' && r.reply.type === 'WIN' ? post({ type: 'winners', documents: r.reply.documents }) : unexpected('consulta_ganadores', r)),
        true,
      );
      return;
    }
    attempt(
      'cierre_agencia',
      () => exchange(s.host, s.port, encodeB({ type: 'AgencyClose', agency: s.id }), 'B', { timeoutMs: 60_000, eofOk: true }),
      (r) => {
        if (!isCloseAnswer(r)) return unexpected('cierre_agencia', r);
        closeConfirmed = r.kind === 'B';
        post({ type: 'closed' });
      },
    );
  }

  function askWinners(closeFirst = !closeConfirmed): void {
    const s = d.settings();
    let closeNow = closeFirst;
    let sentClose = false;
    attempt(
      'consulta_ganadores',
      () => {
        sentClose = closeNow;
        if (sentClose) return exchange(s.host, s.port, encodeB({ type: 'AgencyClose', agency: s.id }), 'B', { timeoutMs: 60_000, eofOk: true });
        return exchange(s.host, s.port, encodeB({ type: 'WinnersRequest', agency: s.id }), 'B', { timeoutMs: 5 * 60_000 });
      },
      (r) => {
        if (sentClose) {
          if (!isCloseAnswer(r)) return unexpected('cierre_agencia', r);
          closeConfirmed = r.kind === 'B';
          d.debug('close sent again before asking for winners', { agency: s.id, confirmed: closeConfirmed });
          return askWinners(false);
        }
        if (r.kind === 'B' && r.packet.type === 'WinnersResponse') return post({ type: 'winners', documents: r.packet.documents });
        if (r.kind === 'B' && r.packet.type === 'NotReadyResponse') return post({ type: 'notready' });
        unexpected('consulta_ganadores', r);
      },
      true,
      () => {
        closeNow = true; // after a failed connection the close goes first again
        return false;
      },
    );
  }

  return { sendClose, askWinners: () => askWinners() };
}
