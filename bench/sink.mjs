// A counting SMTP sink for the bench (scenarios 6 and 7), run as its own process so it does not
// share an event loop with the client or the proxy being measured. Forked with IPC: it sends
// { port } once listening, answers "count" with { count }, and exits on "stop".
import { SMTPServer } from 'smtp-server';

let count = 0;
const server = new SMTPServer({
  authOptional: true,
  disableReverseLookup: true,
  hideSTARTTLS: true,
  logger: false,
  size: 64 * 1024 * 1024,
  onData(stream, _session, callback) {
    stream.on('data', () => {});
    stream.on('end', () => {
      count++;
      callback(null, 'queued by bench sink');
    });
  },
});
// A client that goes away mid-session (the proxy stopping, a pooled connection closed) is not
// the sink's business: without a listener, the socket error would end the process.
server.on('error', () => {});
server.listen(0, '127.0.0.1', () => process.send({ port: server.server.address().port }));
process.on('message', (m) => {
  if (m === 'count') process.send({ count });
  if (m === 'reset') {
    count = 0;
    process.send({ count });
  }
  if (m === 'stop') server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
