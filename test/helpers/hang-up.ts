import { connect } from 'node:net';

/**
 * A client that leaves mid-request: over a raw socket, sends the request line, `headers` (with a
 * Content-Length larger than what follows) and `partialBody`, then closes the socket. The bytes
 * are handed to the kernel before the close, so the server receives all of them, then the end.
 */
export async function sendPartAndHangUp(
  endpoint: string,
  request: { method: string; path: string; headers: Record<string, string | number>; partialBody: Buffer },
): Promise<void> {
  const { hostname, port } = new URL(endpoint);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => undefined); // the server may reset us first: that is the point
  const head = [`${request.method} ${request.path} HTTP/1.1`, `Host: ${hostname}:${port}`, ...Object.entries(request.headers).map(([name, value]) => `${name}: ${value}`)];
  socket.write(`${head.join('\r\n')}\r\n\r\n`);
  await new Promise<void>((resolve, reject) => socket.write(request.partialBody, (error) => (error ? reject(error) : resolve())));
  socket.destroy();
}
