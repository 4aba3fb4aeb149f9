// Opening one bind of a listener as a node HTTP(S) server running the listener's request handler:
// - `address` / `host`+`port`: TCP (IPv4 or IPv6; no host means every address);
// - `socket`: a UNIX socket, made at a temporary name, given its `mode`, then renamed into place,
//   so it never exists with the wrong permissions and an old socket left behind is replaced;
// - `fd`: a socket inherited from the parent (systemd socket activation): index 0 is fd 3.

import { chmodSync, lstatSync, renameSync, rmSync, type Stats } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { parseBindAddress, parseSocketMode, type HttpBindConfig } from '../config/sections/http.ts';
import type { TlsMaterial } from './listener-tls.ts';

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface OpenBind {
  readonly server: Server;
  /** `127.0.0.1:8080`, `[::1]:8080`, `unix:/run/gatehouse.sock`, `fd:3 (...)`. */
  readonly address: string;
  /** Removes what the bind left on disk (the UNIX socket file), once the server is closed. */
  cleanup(): void;
}

export interface BindHandlers {
  handler: RequestHandler;
  clientError: (error: Error & { code?: string }, socket: Duplex) => void;
  tls: TlsMaterial | null;
}

/** The first fd a parent passes, as systemd's LISTEN_FDS protocol numbers them. */
const FIRST_INHERITED_FD = 3;

function describe(address: AddressInfo | string | null): string {
  if (address === null) return 'unknown';
  if (typeof address === 'string') return `unix:${address}`;
  return address.family === 'IPv6'
    ? `[${address.address}]:${address.port}`
    : `${address.address}:${address.port}`;
}

function listen(server: Server, options: Parameters<Server['listen']>[0]): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeQuietly(server: Server): void {
  server.close(() => {});
}

export async function openBind(
  bind: HttpBindConfig,
  handlers: BindHandlers,
  pid: number,
): Promise<OpenBind> {
  const server: Server = handlers.tls
    ? (createHttpsServer(
        { key: handlers.tls.key, cert: handlers.tls.cert },
        handlers.handler,
      ) as unknown as Server)
    : createHttpServer(handlers.handler);
  server.on('clientError', handlers.clientError);
  if (handlers.tls) {
    // A failed handshake is the client's problem; without a listener node would log nothing
    // useful and keep the socket around.
    server.on('tlsClientError', (_error: Error, socket: Duplex) => socket.destroy());
  }

  try {
    if ('address' in bind) {
      const { host, port } = parseBindAddress(bind.address);
      await listen(server, { host, port, ipv6Only: false });
      return { server, address: describe(server.address()), cleanup: () => {} };
    }
    if ('port' in bind) {
      await listen(
        server,
        bind.host === undefined ? { port: bind.port } : { host: bind.host, port: bind.port },
      );
      return { server, address: describe(server.address()), cleanup: () => {} };
    }
    if ('socket' in bind) return await openUnixSocket(server, bind.socket, bind.mode, pid);
    const fd = FIRST_INHERITED_FD + bind.fd;
    await listen(server, { fd });
    // Node picks the handle type from the fd itself; a UNIX socket opened this way has no name.
    const address = server.address();
    const isTcp = typeof address === 'object' && address !== null;
    if (isTcp !== (bind.kind === 'tcp')) {
      closeQuietly(server);
      throw new Error(`fd ${fd} is a ${isTcp ? 'TCP' : 'UNIX'} socket, not ${bind.kind}`);
    }
    return {
      server,
      address: `fd:${fd} (${isTcp ? describe(address) : 'unix'})`,
      cleanup: () => {},
    };
  } catch (error) {
    closeQuietly(server);
    throw error;
  }
}

async function openUnixSocket(
  server: Server,
  path: string,
  mode: string | number | undefined,
  pid: number,
): Promise<OpenBind> {
  const existing = lstatOrNull(path);
  if (existing !== null && !existing.isSocket()) {
    throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  }
  const temporary = `${path}.${pid}.tmp`;
  rmSync(temporary, { force: true });
  await listen(server, { path: temporary });
  try {
    if (mode !== undefined) chmodSync(temporary, parseSocketMode(mode));
    renameSync(temporary, path);
  } catch (error) {
    closeQuietly(server);
    rmSync(temporary, { force: true });
    throw error;
  }
  const ino = lstatSync(path).ino;
  return {
    server,
    address: `unix:${path}`,
    cleanup: () => {
      // Only our socket: another process may have replaced it meanwhile.
      if (lstatOrNull(path)?.ino === ino) rmSync(path, { force: true });
    },
  };
}

function lstatOrNull(path: string): Stats | null {
  return lstatSync(path, { throwIfNoEntry: false }) ?? null;
}
