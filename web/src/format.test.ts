import { describe, expect, it } from 'vitest';
import { amountTotals, count, csvCell, money, moneyIn, month, monthLabel, percent, toCSV, shortLabel } from './format';

describe('format', () => {
  it.each([
    [1234.5, '$1,234.50'],
    [0, '$0.00'],
    [-736, '-$736.00'],
    [null, '—'],
    [undefined, '—'],
  ])('money(%s) = %s', (v, want) => expect(money(v)).toBe(want));

  it.each([
    [0.6170, '61.7%'],
    [1, '100.0%'],
    [0, '0.0%'],
    [null, '—'],
  ])('percent(%s) = %s', (v, want) => expect(percent(v)).toBe(want));

  it('count separates thousands and shows a dash for none', () => {
    expect(count(1440000)).toBe('1,440,000');
    expect(count(null)).toBe('—');
  });

  it.each([
    ['2026-03', -11, '2025-04'],
    ['2026-01', -1, '2025-12'],
    ['2026-12', 1, '2027-01'],
  ])('month(%s, %d) = %s', (m, d, want) => expect(month(new Date(`${m}-15T00:00:00Z`), d)).toBe(want));

  it('monthLabel names the month', () => expect(monthLabel('2026-03')).toBe('Mar 2026'));
});

describe('CSV', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['=SUM(A1)', "'=SUM(A1)"],
    ['@cmd', "'@cmd"],
    ['-12.50', '-12.50'],
    ['+1 555', "'+1 555"],
    [null, ''],
    [1571.17, '1571.17'],
  ])('csvCell(%j) = %s', (v, want) => expect(csvCell(v)).toBe(want));

  it('toCSV writes a header and CRLF lines', () => {
    expect(toCSV(['a', 'b'], [[1, 'x,y'], [null, 2]])).toBe('a,b\r\n1,"x,y"\r\n,2\r\n');
  });
});

describe('billing amounts', () => {
  it.each([
    [12.5, 'USD', '$12.50'],
    [1234.5, 'usd', '$1,234.50'],
    [3, 'EUR', '€3.00'],
    [null, 'USD', '—'],
    [7.25, 'not a code', '7.25 not a code'],
  ])('moneyIn(%j, %s) = %s', (v, c, want) => expect(moneyIn(v, c)).toBe(want));

  it.each([
    [{ USD: 1234.5 }, '$1,234.50'],
    [{ USD: 10, EUR: 3 }, '€3.00 · $10.00'],
    [{}, '—'],
    [undefined, '—'],
  ])('amountTotals(%j) = %s', (t, want) => expect(amountTotals(t)).toBe(want));
});

describe('chart category labels', () => {
  it.each([
    ['2x2', '2x2'],
    ['Studio 1BA', 'Studio 1BA'],
    ['Penthouse 3BR', 'Penthouse…'],
    ['Ünité ÀÉÎÕÜ long', 'Ünité ÀÉÎ…'],
    ['', ''],
  ])('shortLabel(%j) = %j', (name, want) => expect(shortLabel(name)).toBe(want));
});
