/** parseJsonText: JSON.parse's values, a repeated key refused, every problem at file:line:column. */
import { MAX_JSON_DEPTH, parseJsonText } from '../../src/util/jsonText';
import { DataError } from '../../src/util/errors';

const message = (text: string): string => {
  try {
    parseJsonText(text, 'c.json');
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return (err as Error).message;
  }
  return 'parsed';
};

describe('parseJsonText', () => {
  it('gives what JSON.parse gives for valid text', () => {
    const text = ' {"a": [1, -2.5e3, 0, true, false, null], "b": {"c": "x\\u0041\\n\\"", "d": {}}, "e": [], "f": 1e400}\n';
    expect(parseJsonText(text, 'c.json')).toEqual(JSON.parse(text));
    expect(parseJsonText('"s"', 'c.json')).toBe('s');
    // "__proto__" stays an own key, as JSON.parse keeps it, for the config checks to refuse
    expect(Object.keys(parseJsonText('{"__proto__": {"x": 1}}', 'c.json') as object)).toEqual(['__proto__']);
  });

  it('refuses a key given twice in one object, at the second, naming the first', () => {
    expect(message('{\n  "base": {"maxSteps": 20},\n  "base": {"maxSteps": 5000}\n}')).toBe('c.json:3:3: key "base" is given twice in this object (first at line 2, column 3); give each key once');
    expect(message('{"a": {"k": 1}, "b": {"k": 2}}')).toBe('parsed');
  });

  it.each([
    ['{"a": 1,}', 'c.json:1:9: expected a key in double quotes, found "}"'],
    ['{\n  "a": [1, 2,, 3]\n}', 'c.json:2:14: expected a value (object, array, string, number, true, false or null), found ","'],
    ['{"a" 1}', 'c.json:1:6: expected \':\' after the key, found "1"'],
    ['{"a": 01}', 'c.json:1:8: expected \',\' or \'}\', found "1"'],
    ['{"a": 1} x', 'c.json:1:10: expected the end of the file after the JSON value, found "x"'],
    ['', 'c.json:1:1: expected a value (object, array, string, number, true, false or null), found the end of the file'],
    ['{"a": "no end\n}', 'c.json:1:7: expected a string in double quotes without control characters or bad escapes'],
    ['{"a": [1, 2}', 'c.json:1:12: expected \',\' or \']\', found "}"'],
  ])('reports %j at its line and column', (text, expected) => {
    expect(message(text)).toBe(expected);
  });

  it('caps the nesting', () => {
    expect(message('['.repeat(MAX_JSON_DEPTH + 1))).toBe(`c.json:1:${MAX_JSON_DEPTH + 1}: nesting deeper than ${MAX_JSON_DEPTH} levels`);
  });
});
