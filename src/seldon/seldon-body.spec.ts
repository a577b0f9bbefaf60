import { extractSeldonJson } from './seldon-body';

describe('extractSeldonJson', () => {
  const msg = { data: { ndarray: [[1]] } };

  it('takes a raw JSON body as is', () => {
    expect(extractSeldonJson({ body: msg, query: {} })).toEqual(msg);
  });

  it('parses the form field json= (what SeldonClient posts)', () => {
    expect(extractSeldonJson({ body: { json: JSON.stringify(msg) }, query: {} })).toEqual(msg);
  });

  it('parses the query parameter json on a bodyless request', () => {
    expect(extractSeldonJson({ body: undefined, query: { json: JSON.stringify(msg) } })).toEqual(msg);
  });

  it('parses raw text and buffers', () => {
    expect(extractSeldonJson({ body: JSON.stringify(msg), query: {} })).toEqual(msg);
    expect(extractSeldonJson({ body: Buffer.from(JSON.stringify(msg)), query: {} })).toEqual(msg);
  });

  it('builds a message from multipart fields and files', () => {
    const out = extractSeldonJson({
      body: undefined,
      query: {},
      multipart: { fields: { meta: '{"puid":"p"}', strData: 'plain text' }, files: {} },
    });
    expect(out).toEqual({ meta: { puid: 'p' }, strData: 'plain text' });
    const bin = extractSeldonJson({ body: undefined, query: {}, multipart: { fields: {}, files: { binData: Buffer.from('hello') } } });
    expect(bin).toEqual({ binData: Buffer.from('hello').toString('base64') });
    expect(extractSeldonJson({ body: undefined, query: {}, multipart: { fields: { json: JSON.stringify(msg) }, files: {} } })).toEqual(msg);
  });

  it.each([
    [{ body: undefined, query: {} }, 'no message in the request'],
    [{ body: '  ', query: {} }, 'no message in the request'],
    [{ body: { json: '{bad' }, query: {} }, 'form field "json" is not valid JSON'],
    [{ body: undefined, query: { json: '[' } }, 'query parameter "json" is not valid JSON'],
    [{ body: 'nope', query: {} }, 'request body is not valid JSON'],
    [{ body: undefined, query: {}, multipart: { fields: { data: '{' }, files: {} } }, 'multipart field "data" is not valid JSON'],
    [{ body: undefined, query: {}, multipart: { fields: { json: '{}', data: '{}' }, files: {} } }, 'drop the other fields (data)'],
    [{ body: undefined, query: {}, multipart: { fields: {}, files: {} } }, 'multipart: no fields'],
  ])('rejects %j', (input, message) => {
    expect(() => extractSeldonJson(input)).toThrow(message);
  });
});
