import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePythonFloat, pythonFloatRepr } from './python-float.ts';

test('pythonFloatRepr matches Python 3 str(float)', () => {
  // right-hand sides are what CPython 3 prints for repr(float(x))
  const cases: [number, string][] = [
    [0, '0.0'],
    [-0, '-0.0'],
    [1, '1.0'],
    [-2.5, '-2.5'],
    [100, '100.0'],
    [0.1, '0.1'],
    [1 / 3, '0.3333333333333333'],
    [0.0001, '0.0001'],
    [1e-5, '1e-05'],
    [2.5e-5, '2.5e-05'],
    [1.5e-7, '1.5e-07'],
    [123456789, '123456789.0'],
    [1e15, '1000000000000000.0'],
    [9999999999999998, '9999999999999998.0'],
    [1e16, '1e+16'],
    [1e22, '1e+22'],
    [12345678901234567890, '1.2345678901234567e+19'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [5e-324, '5e-324'],
    [1e100, '1e+100'],
    [NaN, 'nan'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ];
  for (const [x, want] of cases) assert.equal(pythonFloatRepr(x), want, String(x));
});

test('parsePythonFloat reads what MLflow writes and round-trips', () => {
  assert.ok(Number.isNaN(parsePythonFloat('nan')));
  assert.equal(parsePythonFloat('inf'), Infinity);
  assert.equal(parsePythonFloat('-inf'), -Infinity);
  assert.equal(parsePythonFloat('Infinity'), Infinity);
  assert.equal(parsePythonFloat('1e-05'), 1e-5);
  assert.equal(parsePythonFloat('1.0'), 1);
  assert.equal(parsePythonFloat('2'), 2); // MLflow's Python API can log ints
  for (const bad of ['', 'abc', '1,5', '0x10', '1e']) assert.equal(parsePythonFloat(bad), undefined, bad);
  for (let i = 0; i < 2000; i++) {
    const x = (i % 2 ? -1 : 1) * Math.random() * 10 ** ((i % 60) - 30);
    assert.equal(parsePythonFloat(pythonFloatRepr(x)), x);
  }
});
