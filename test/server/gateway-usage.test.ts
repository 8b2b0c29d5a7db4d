/** The usage event the gateway asked for on a client's behalf, dropped from the stream the client gets. */
import { describe, expect, it } from 'vitest';
import { dropUsageEvents } from '../../src/server/gateway-usage.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

describe('dropUsageEvents', () => {
  it('passes each event on as soon as it ends (LF or CRLF, split anywhere) and drops only the usage-only one', async () => {
    const filter = dropUsageEvents();
    const writer = filter.writable.getWriter();
    const reader = filter.readable.getReader();
    const first = 'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\r\n\r\n';
    void writer.write(encoder.encode(first.slice(0, 20)));
    void writer.write(encoder.encode(first.slice(20)));
    // The first event arrives before anything else is written: nothing waits for the stream's end.
    expect(decoder.decode((await reader.read()).value)).toBe(first);
    void writer.write(encoder.encode('data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3}}\n\ndata: [DONE]\n\n'));
    void writer.close();
    let rest = '';
    for (let part = await reader.read(); !part.done; part = await reader.read()) rest += decoder.decode(part.value);
    expect(rest).toBe('data: [DONE]\n\n');
  });
});
