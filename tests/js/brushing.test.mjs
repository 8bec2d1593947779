// brushing.js: a drag's brush events become one filter and one redraw per animation frame, and
// the latest-records table follows once the brush settles. dc (a classic script in the page) is
// stood in for by charts that record what is asked of them.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';

function fakeChart(name, log) {
  return {
    name,
    replaceFilter(filter) { log.push(`${name} filter ${filter}`); },
    redraw() { log.push(`${name} redraw`); },
  };
}

function page() {
  const log = [];
  const frames = [];
  const charts = ['amount', 'time', 'year', 'table'].map((name) => fakeChart(name, log));
  globalThis.requestAnimationFrame = (callback) => frames.push(callback);
  globalThis.dc = {
    constants: { EVENT_DELAY: 40 },
    chartRegistry: { list: () => charts },
    renderlet: () => () => log.push('numbers and chips'),
  };
  const [amount, time, , table] = charts;
  const nextFrame = () => frames.splice(0).forEach((callback) => callback());
  return { log, amount, time, table, nextFrame };
}

test("a frame applies only the latest of its brush events, with every chart but the table", async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const { log, amount, table, nextFrame } = page();
  const { installBrushing } = await import('../../static/dashboard/js/brushing.js');
  installBrushing([amount], table);
  assert.equal(dc.constants.EVENT_DELAY, 0); // dc hands each brush event over at once

  amount.applyBrushSelection('20-30');
  amount.applyBrushSelection('20-40');
  assert.deepEqual(log, []); // nothing before the frame
  nextFrame();
  assert.deepEqual(log, [
    'amount filter 20-40', 'amount redraw', 'time redraw', 'year redraw', 'numbers and chips',
  ]);

  log.length = 0;
  amount.applyBrushSelection('20-50');
  nextFrame();
  mock.timers.tick(149);
  assert.ok(!log.includes('table redraw')); // still moving: the table waits
  mock.timers.tick(1);
  assert.equal(log.filter((line) => line === 'table redraw').length, 1);
  mock.timers.reset();
});

test('two charts brushed in one frame keep both filters', async () => {
  const { log, amount, time, table, nextFrame } = page();
  const { installBrushing } = await import('../../static/dashboard/js/brushing.js');
  installBrushing([amount, time], table);

  amount.applyBrushSelection('20-30');
  time.applyBrushSelection('t1-t2');
  nextFrame();
  assert.deepEqual(log.slice(0, 2), ['amount filter 20-30', 'time filter t1-t2']);
  assert.equal(log.filter((line) => line === 'amount redraw').length, 1);
});
