/**
 * Answers to requests Node's HTTP parser refuses before any route sees them (a malformed Content-Length,
 * a broken chunked body, an oversized header block, a stalled upload): the service's usual
 * `{error, field, message}` body naming the part of the request at fault, instead of fastify's generic
 * "Client Error". The connection is closed afterwards, as Node does: the parser cannot find where the
 * next request would start.
 */
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody } from './handler';

/** Status, field and detail of the answer to a refused request. */
export interface ClientErrorAnswer {
  status: number;
  field: string;
  detail: string;
}

/** The parser's error: `code` (llhttp's `HPE_…`, or Node's request timeout) and llhttp's `reason`. */
export interface ParserError extends Error {
  code?: string;
  reason?: string;
}

const CONTENT_LENGTH = { field: 'content-length', expected: 'one Content-Length of decimal digits' };
const VERSION = { field: 'version', expected: 'HTTP/1.0 or HTTP/1.1' };
const LINE_ENDS = { field: 'headers', expected: 'lines ending in CRLF' };

/** Which part of the request each llhttp error is about, and what was expected of it. */
const PARSER_FIELDS: Record<string, { field: string; expected: string }> = {
  HPE_INVALID_CONTENT_LENGTH: CONTENT_LENGTH,
  HPE_UNEXPECTED_CONTENT_LENGTH: CONTENT_LENGTH,
  HPE_INVALID_TRANSFER_ENCODING: { field: 'transfer-encoding', expected: 'either Content-Length or "Transfer-Encoding: chunked", not both' },
  HPE_INVALID_CHUNK_SIZE: { field: 'body', expected: 'a chunked body as HTTP/1.1 frames it (hexadecimal sizes)' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { field: 'body', expected: 'a chunked body as HTTP/1.1 frames it' },
  HPE_INVALID_METHOD: { field: 'method', expected: "GET, HEAD or POST (bytes past a body's Content-Length are read as the next request)" },
  HPE_INVALID_URL: { field: 'url', expected: 'a path without spaces or control characters' },
  HPE_INVALID_VERSION: VERSION,
  HPE_INVALID_CONSTANT: VERSION,
  HPE_INVALID_HEADER_TOKEN: { field: 'headers', expected: 'header names of token characters, each followed by ":"' },
  HPE_LF_EXPECTED: LINE_ENDS,
  HPE_CR_EXPECTED: LINE_ENDS,
};

/**
 * The answer to a request the parser refused (`requestTimeout` in ms, for the message of a stalled
 * request). Pure: the caller writes it.
 */
export function clientErrorAnswer(err: ParserError, requestTimeout: number): ClientErrorAnswer {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, field: 'request', detail: `not received in full within the request timeout (${requestTimeout} ms); the connection is closed` };
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, field: 'headers', detail: `larger than the limit of ${http.maxHeaderSize} bytes (Node's --max-http-header-size)` };
  }
  const reason = err.reason ?? err.message;
  const known = err.code === undefined ? undefined : PARSER_FIELDS[err.code];
  if (known === undefined) return { status: 400, field: 'request', detail: `not a well-formed HTTP/1.1 request (${reason})` };
  return { status: 400, field: known.field, detail: `expected ${known.expected} (${reason})` };
}

/**
 * A `clientError` listener: writes the answer when the socket can still take it, then closes the
 * connection (nothing to do for a connection the client already reset).
 */
export function answerClientError(requestTimeout: number): (err: ParserError, socket: Duplex) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, field, detail } = clientErrorAnswer(err, requestTimeout);
    const answer = errorBody(status, field, detail);
    const body = JSON.stringify(answer);
    if (socket.writable) {
      socket.write(`HTTP/1.1 ${status} ${answer.error}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
    }
    socket.destroy();
  };
}
