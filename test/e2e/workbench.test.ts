// The four user jobs through the browser host on the demo project, plus bad input through the UI.
// Each screen is saved under test-results/e2e/; a failing test saves the screen where it failed.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, ROOT } from '../support/cli.js';
import { demoData as data, smallFinetune } from '../support/finetune-run.js';
import { openWorkbench, type Workbench } from './host.js';

const SHOTS = join(ROOT, 'test-results', 'e2e');
const LONG = 300_000;
let wb: Workbench;

// Charts animate for about a second after new data; the screenshot should show where they settle.
const CHART_SETTLE_MS = 1500;
const shot = async (name: string) => {
  await wb.page.waitForTimeout(CHART_SETTLE_MS);
  await wb.page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
};
const screen = (label: string) =>
  wb.page.getByRole('navigation').getByRole('button', { name: label, exact: true }).click();
const alert = () => wb.page.getByRole('alert');
/** Waits for `testId` to show; an error message in the window fails at once, with its text. */
async function expectShown(testId: string, timeout: number) {
  const shown = wb.page.getByTestId(testId);
  await shown.or(alert()).first().waitFor({ timeout });
  if (!(await shown.isVisible()))
    throw new Error(`instead of ${testId} the window says: ${await alert().first().textContent()}`);
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  wb = await openWorkbench();
}, LONG);
afterAll(() => wb?.close());
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await shot(`failed-${ctx.task.name.replace(/[^a-z0-9]+/gi, '-')}`);
});

describe('the four user jobs on the demo project', () => {
  it('opens the demo project on first run', async () => {
    await expect.poll(() => wb.page.getByTestId('model-info').textContent(), { timeout: 60_000 }).toMatch(/\d+ layers/);
    expect(await wb.page.getByTestId('project-summary').textContent()).toContain(join(ROOT, 'resources', 'demo'));
    await shot('project');
  });

  it(
    'computes UnitMem and LayerMem and shows them per layer',
    async () => {
      await screen('Layers');
      await wb.page.locator('input[name=unitmem-views]').fill('4');
      await wb.page.locator('input[name=layermem-views]').fill('4');
      await wb.page.getByRole('button', { name: 'Compute UnitMem' }).click();
      await expectShown('layer-table', LONG);
      await wb.page.getByRole('button', { name: 'Compute LayerMem' }).click();
      await expect
        .poll(() => wb.page.getByTestId('layer-table').textContent(), { timeout: LONG })
        .toMatch(/\d\.\d{4}\s*-?\d\.\d{4}\s*$/m);
      expect(await alert().count()).toBe(0);
      // Each figure carries its settings: the project's normalization, named as the project's.
      expect(await wb.page.getByTestId('layermem-settings').textContent()).toMatch(
        /× 4 views · augment simclr · pairing views · norm paper · seed 0 · normalization mean 0\.286 std 0\.353 \(the project\)/,
      );
      // Layer labels are short names; the table keeps the full name as the cell's title.
      const first = wb.page.getByTestId('layer-table').locator('tbody tr td').first();
      expect([await first.textContent(), await first.getAttribute('title')]).toEqual(['prep.0', '/prep/prep.0/Conv']);
      await shot('layers');
    },
    LONG,
  );

  it('shows the image a unit memorizes and its top images with their mu', async () => {
    await screen('Units');
    const row = wb.page.getByTestId('unit-table').locator('tbody tr').first();
    await row.click();
    const src = await wb.page.getByTestId('unit-image').getAttribute('src', { timeout: 30_000 });
    expect(src).toMatch(/^data:image\/png;base64,/);
    // the default 5 top images, each a picture, the first one's mu being the unit's muMax (last column)
    const top = wb.page.getByTestId('unit-top');
    const srcs = await top.locator('img').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('src')));
    expect(srcs).toHaveLength(5);
    for (const s of srcs) expect(s).toMatch(/^data:image\/png;base64,/);
    const mus = (await top.locator('figcaption').allTextContents()).map((t) => Number(t.replace('μ', '')));
    expect(mus[0].toFixed(4)).toBe((await row.locator('td').last().textContent())?.trim());
    expect([...mus].sort((a, b) => b - a)).toEqual(mus);
    // No ClassMem yet: the column is empty and the screen says how to fill it.
    await expect.poll(() => wb.page.getByTestId('classmem-hint').textContent()).toContain('Compute ClassMem');
    // The layer filter lists short names; picking one keeps only its units, labelled the same way.
    const filter = wb.page.getByTestId('unit-filter');
    await filter.locator('select[name=unit-layer]').selectOption({ label: 'res2/block2.0' });
    await expect
      .poll(() => wb.page.getByTestId('unit-count').textContent())
      .toMatch(/100 of 128 units shown \(560 in all\)/);
    const layers = await wb.page.getByTestId('unit-table').locator('tbody tr td:first-child').allTextContents();
    expect(new Set(layers)).toEqual(new Set(['res2/block2.0']));
    expect(await wb.page.getByTestId('unit-page').textContent()).toBe('page 1 of 2');
    await filter.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => wb.page.getByTestId('unit-count').textContent()).toMatch(/28 of 128 units shown/);
    // Search over every layer: the short name finds the layer's units.
    await filter.locator('select[name=unit-layer]').selectOption({ label: 'all layers' });
    await filter.locator('input[name=unit-search]').fill('res1/block1');
    await expect
      .poll(() => wb.page.getByTestId('unit-count').textContent())
      .toMatch(/32 of 32 units shown \(560 in all\)/);
    await shot('units');
  });

  it(
    'prunes the lowest UnitMem, 20% per layer, and exports a model onnxruntime loads',
    async () => {
      await screen('Prune');
      await wb.page.locator('select[name=strategy]').selectOption('low');
      await wb.page.locator('select[name=scope]').selectOption('layer');
      await wb.page.locator('input[name=ratio]').fill('0.2');
      await expect
        .poll(() => wb.page.getByTestId('prune-preview').textContent(), { timeout: 60_000 })
        .toContain('Parameters');
      // The default options cut: the preview shows a smaller model, not the same one with zeros in it.
      expect(await wb.page.getByTestId('prune-preview').textContent()).toMatch(/Parameters [\d,]+ → [\d,]+ \(-\d/);
      const out = join(wb.dir, 'pruned-low-20.onnx');
      await wb.page.locator('input[name=prune-out]').fill(out);
      await wb.page.getByRole('button', { name: 'Prune and export' }).click();
      await expect.poll(() => wb.page.getByTestId('prune-result').textContent(), { timeout: 120_000 }).toContain(out);
      await shot('prune');

      expect(existsSync(out)).toBe(true);
      const session = await ort.InferenceSession.create(out);
      const input = new ort.Tensor('float32', new Float32Array(2 * 28 * 28), [2, 1, 28, 28]);
      const result = await session.run({ [session.inputNames[0]]: input });
      const embedding = result[session.outputNames[0]];
      expect(embedding.dims[0]).toBe(2);
      expect(embedding.dims.length).toBe(2);
    },
    LONG,
  );

  it('compares high against random with intervals and tests, exports the CSV, and reopens the sweep after a reload', async () => {
    await screen('Compare');
    // Small: one ratio, two strategies, two random seeds, two views (the machine is shared).
    await wb.page.locator('input[name=ratios]').fill('20');
    await wb.page.locator('input[name=strategy-low]').uncheck();
    await wb.page.locator('input[name=views]').fill('2');
    await wb.page.locator('input[name=seeds]').fill('0, 1');
    await wb.page.getByRole('button', { name: 'Run the sweep' }).click();
    await expectShown('compare-table', 540_000);
    const lines = await wb.page.getByRole('img', { name: 'Accuracy vs pruned fraction' }).getAttribute('data-series');
    // Each series twice: its line and its error bars.
    expect([...new Set(lines!.split(','))].sort()).toEqual(['high', 'random']);
    const table = wb.page.getByTestId('compare-table');
    const rows = async () =>
      (await table.locator('tbody tr').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    const shown = await rows();
    expect(shown).toHaveLength(3); // none, high, random (seeds 0 and 1 pooled)
    // Accuracy in percent with its interval; the demo project has a reference and a control set: the SSLMem gap.
    for (const r of shown)
      expect(r).toMatch(/\d\d\.\d\d \[\d\d\.\d\d, \d\d\.\d\d\].*[-+]\d\.\d{4} \[[-+]\d\.\d{4}, [-+]\d\.\d{4}\]/);
    expect(await table.locator('th').allTextContents()).toContain('SSLMem gap [95% CI]');
    const tests = await wb.page.getByTestId('compare-tests').locator('tbody tr').allTextContents();
    expect(tests).toHaveLength(2);
    for (const t of tests) expect(t).toMatch(/^high vs random.*(higher|lower|not significant)$/);
    expect(await wb.page.getByTestId('compare-settings').textContent()).toMatch(
      /probe: linear.*2 views per point; SSLMem against .*ssl-cnn-g\.onnx, control .*control-images/s,
    );
    // One colour per strategy, the one strategies.ts gives: the swatches of the table's rows.
    const swatches = await table
      .locator('tbody tr .swatch')
      .evaluateAll((els) =>
        els.map(
          (e) =>
            (globalThis as unknown as { getComputedStyle(x: unknown): { backgroundColor: string } }).getComputedStyle(e)
              .backgroundColor,
        ),
      );
    expect(swatches).toEqual(['rgb(68, 68, 68)', 'rgb(214, 39, 40)', 'rgb(127, 127, 127)']);
    await shot('compare');
    const base = join(wb.dir, 'sweep');
    await wb.page.locator('input[name=compare-out]').fill(base);
    await wb.page.getByRole('button', { name: 'Table as CSV' }).click();
    await expect.poll(() => existsSync(`${base}.csv`), { timeout: 10_000 }).toBe(true);

    // The sweep was kept with the project: after a reload it is listed and opens as it was.
    await wb.page.reload();
    await screen('Project');
    await wb.page.getByRole('button', { name: 'Open the demo project' }).click();
    await expect.poll(() => wb.page.getByTestId('model-info').count(), { timeout: 60_000 }).toBe(1);
    await screen('Compare');
    const list = wb.page.getByTestId('sweep-list');
    await list.waitFor({ timeout: 30_000 });
    expect(await list.locator('li').first().textContent()).toMatch(
      /high, random at 20% · linear probe · 2 views · seeds 0, 1 · SSLMem gap/,
    );
    await list.getByRole('button', { name: 'Open' }).first().click();
    await expect
      .poll(() => wb.page.getByTestId('compare-source').textContent(), { timeout: 10_000 })
      .toContain('.memlens-sweeps');
    expect(await rows()).toEqual(shown);
    await shot('compare-reopened');
  }, 600_000);

  it('opens a sweep saved by memlens compare version 1 (its folder) and shows it like a run one', async () => {
    const folder = join(wb.dir, 'saved-sweep');
    mkdirSync(folder);
    const point = (strategy: string, scope: string, ratio: number, accuracy: number) => ({
      strategy,
      scope,
      ratio,
      seed: 0,
      accuracy,
      meanUnitMem: 0.4 + ratio / 10,
      params: 1e5,
      flops: 1e7,
      latencyMs: 0.4,
    });
    const points = [
      point('none', 'layer', 0, 0.79),
      point('low', 'layer', 0.1, 0.78),
      point('low', 'layer', 0.2, 0.77),
      point('high', 'layer', 0.2, 0.74),
      point('low', 'global', 0.1, 0.76),
    ];
    const model = join(ROOT, 'resources', 'demo', 'ssl-cnn-f.onnx');
    writeFileSync(
      join(folder, 'compare.json'),
      JSON.stringify({
        schema: 'memlens.compare/1',
        model: { path: model, sha256: '0'.repeat(64) },
        settings: {},
        points,
      }),
    );
    await screen('Compare');
    await wb.page.locator('input[name=compare-saved]').fill(folder);
    await wb.page.getByRole('button', { name: 'Open saved sweep' }).click();
    await expect.poll(() => wb.page.getByTestId('compare-source').textContent(), { timeout: 10_000 }).toContain(folder);
    expect(await wb.page.getByTestId('compare-source').textContent()).toContain(model);
    const rows = wb.page.getByTestId('compare-table').locator('tbody tr');
    expect(await rows.count()).toBe(points.length);
    // Percent, no interval (version 1 has none), and UnitMem marked as not re-measured.
    expect(await rows.locator('td:nth-child(5)').allTextContents()).toEqual(
      points.map((p) => (100 * p.accuracy).toFixed(2)),
    );
    expect(await rows.locator('td:nth-child(6)').first().textContent()).toBe('0.4000 (not re-measured)');
    const lines = await wb.page.getByRole('img', { name: 'Accuracy vs pruned fraction' }).getAttribute('data-series');
    expect([...new Set(lines!.split(','))].sort()).toEqual(['high', 'low', 'low (global)']);
    await shot('compare-saved');
  });

  it(
    'fine-tunes the layers ranked by DeltaLayerMem (auto choice pre-selected) and exports the model',
    async () => {
      await screen('Fine-tune');
      // The compare test reloaded the page, so the Layers screen's LayerMem is gone from the session:
      // the Fine-tune screen computes it itself (the result cache answers at once).
      await wb.page.getByRole('button', { name: 'Compute LayerMem' }).click();
      const boxes = wb.page.getByTestId('finetune-layers').locator('input[type=checkbox]');
      await boxes.first().waitFor({ timeout: LONG });
      const checked = await boxes.evaluateAll((els) => els.map((e) => (e as unknown as { checked: boolean }).checked));
      // auto = the three layers with the highest DeltaLayerMem, which the table lists first
      expect(checked).toEqual(checked.map((_, i) => i < 3));
      const out = join(wb.dir, 'finetuned.onnx');
      await wb.page.locator('input[name=epochs]').fill('2');
      await wb.page.locator('input[name=finetune-out]').fill(out);
      await wb.page.getByRole('button', { name: 'Fine-tune and export' }).click();
      await expect.poll(() => wb.page.getByTestId('finetune-result').textContent(), { timeout: LONG }).toContain(out);
      expect(
        await wb.page.getByRole('img', { name: 'Fine-tuning loss and accuracy per epoch' }).getAttribute('data-series'),
      ).toBe('loss,accuracy');
      await shot('finetune');
      const session = await ort.InferenceSession.create(out);
      expect(session.inputNames).toHaveLength(1);
    },
    LONG,
  );
});

describe('bad input through the UI', () => {
  const createProject = async (name: string, model: string, candidates: string) => {
    await screen('Project');
    await wb.page.locator('details').evaluate((d) => ((d as unknown as { open: boolean }).open = true));
    await wb.page.locator('input[name=new-file]').fill(join(wb.dir, `${name}.memlens.json`));
    await wb.page.locator('input[name=new-name]').fill(name);
    await wb.page.locator('input[name=new-model]').fill(model);
    await wb.page.locator('input[name=new-candidates]').fill(candidates);
    await wb.page.getByRole('button', { name: 'Create and open' }).click();
  };
  const reopenDemo = async () => {
    await screen('Project');
    await wb.page.getByRole('button', { name: 'Open the demo project' }).click();
    await expect.poll(() => wb.page.getByTestId('model-info').count(), { timeout: 60_000 }).toBe(1);
  };

  it('a model that is not ONNX: a clear message, then the app keeps working', async () => {
    const fake = join(wb.dir, 'not-a-model.onnx');
    writeFileSync(fake, 'this is a text file, not a model\n');
    await createProject('fake-model', fake, join(ROOT, 'resources', 'demo', 'data'));
    await expect.poll(() => alert().textContent(), { timeout: 30_000 }).toContain(fake);
    await shot('bad-model');
    await reopenDemo();
  });

  it('a model typed where the project file goes: offered as a new project, which then opens', async () => {
    const model = join(wb.dir, 'encoder.onnx');
    copyFileSync(join(ROOT, 'resources', 'demo', 'ssl-cnn-f.onnx'), model);
    await screen('Project');
    await wb.page.locator('input[name=project-path]').fill(model);
    await wb.page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect
      .poll(() => wb.page.getByTestId('model-as-project').textContent(), { timeout: 10_000 })
      .toContain(`${model} is an ONNX model, not a project file`);
    expect(await wb.page.locator('input[name=new-model]').inputValue()).toBe(model);
    expect(await wb.page.locator('input[name=new-file]').inputValue()).toBe(join(wb.dir, 'encoder.memlens.json'));
    await wb.page
      .locator('input[name=new-candidates]')
      .fill(join(ROOT, 'resources', 'demo', 'data', 'candidates-images-idx3-ubyte.gz'));
    await wb.page.getByRole('button', { name: 'Create and open' }).click();
    await expect
      .poll(() => wb.page.getByTestId('project-summary').textContent(), { timeout: 60_000 })
      .toContain(join(wb.dir, 'encoder.memlens.json'));
    expect(await alert().count()).toBe(0);
    await reopenDemo();
  });

  it('an empty data folder: a clear message naming it', async () => {
    const empty = join(wb.dir, 'empty-data');
    mkdirSync(empty);
    await createProject('empty-data', join(ROOT, 'resources', 'demo', 'ssl-cnn-f.onnx'), empty);
    await screen('Layers');
    await wb.page.getByRole('button', { name: 'Compute UnitMem' }).click();
    await expect.poll(() => alert().textContent(), { timeout: 60_000 }).toContain(empty);
    await shot('empty-data');
    await reopenDemo();
  });

  it('a file that is not a saved sweep: a clear message naming it', async () => {
    const file = join(wb.dir, 'not-a-sweep.json');
    writeFileSync(file, JSON.stringify({ schema: 'memlens.unitmem/1' }));
    await screen('Compare');
    await wb.page.locator('input[name=compare-saved]').fill(file);
    await wb.page.getByRole('button', { name: 'Open saved sweep' }).click();
    await expect
      .poll(() => alert().textContent(), { timeout: 10_000 })
      .toContain(`saved comparison ${file}: not a MemLens comparison`);
  });

  it(
    'cancelling a running job says so and leaves the app usable',
    async () => {
      await screen('Layers');
      await wb.page.locator('input[name=unitmem-views]').fill('32');
      await wb.page.getByRole('button', { name: 'Compute UnitMem' }).click();
      await wb.page.getByRole('status').getByRole('button', { name: 'Cancel' }).click({ timeout: 30_000 });
      await expect.poll(() => alert().textContent(), { timeout: 60_000 }).toContain('cancelled');
      await shot('cancelled');
      await screen('Project');
      expect(await wb.page.getByTestId('project-summary').textContent()).toContain('resources/demo');
    },
    LONG,
  );
});

describe('fine-tuned models in the comparison', () => {
  it("lists the project's fine-tune runs on the Compare screen and adds the chosen one as a point", async () => {
    // A project of its own beside a small run of `memlens finetune` (100 images, 1 epoch).
    const folder = join(wb.dir, 'ft');
    mkdirSync(folder, { recursive: true });
    const run = smallFinetune(join(DEMO, 'ssl-cnn-f.onnx'), join(folder, 'f-tuned.onnx'));
    expect(run.code, run.stderr).toBe(0);
    const project = join(folder, 'ft.memlens.json');
    writeFileSync(
      project,
      JSON.stringify({
        schema: 'memlens.project/1',
        name: 'fine-tuned points',
        model: join(DEMO, 'ssl-cnn-f.onnx'),
        reference: join(DEMO, 'ssl-cnn-g.onnx'),
        data: {
          candidates: data('candidates'),
          control: data('control'),
          train: data('train'),
          test: data('test'),
        },
        normalization: { mean: [0.286], std: [0.353] },
      }),
    );
    await screen('Project');
    await wb.page.locator('input[name=project-path]').fill(project);
    await wb.page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect
      .poll(() => wb.page.getByTestId('project-summary').textContent(), { timeout: 60_000 })
      .toContain(project);

    await screen('Compare');
    const runs = wb.page.getByTestId('finetune-runs');
    await runs.waitFor({ timeout: 30_000 });
    expect(await runs.locator('label').first().textContent()).toMatch(
      /f-tuned\.onnx · layers .* · 1 epochs · head only/,
    );
    await runs.locator('input[type=checkbox]').first().check();
    // Small: one pruned point beside the fine-tuned one, two views, one seed.
    await wb.page.locator('input[name=ratios]').fill('20');
    for (const s of ['low', 'random']) await wb.page.locator(`input[name=strategy-${s}]`).uncheck();
    await wb.page.locator('input[name=views]').fill('2');
    await wb.page.locator('input[name=seeds]').fill('0');
    await wb.page.getByRole('button', { name: 'Run the sweep' }).click();
    await expectShown('compare-table', 540_000);
    const table = wb.page.getByTestId('compare-table');
    const cells = (row: number) => table.locator('tbody tr').nth(row).locator('td').allTextContents();
    expect(await table.locator('tbody tr').count()).toBe(3);
    expect((await cells(0))[0]).toBe('none');
    expect((await cells(2))[0]).toBe('high');
    const tuned = await cells(1);
    expect(tuned.slice(0, 4)).toEqual(['finetuned f-tuned.onnx', '-', '0%', '0']);
    expect(tuned[4]).toMatch(/^\d\d\.\d\d \[\d\d\.\d\d, \d\d\.\d\d\]$/);
    const tests = await wb.page.getByTestId('compare-tests').locator('tbody tr').allTextContents();
    expect(tests.filter((t) => t.startsWith('finetuned f-tuned.onnx vs none'))).toHaveLength(2);
    // On the memorization chart only, in its own colour (strategies.ts FINETUNED_COLOR).
    const series = (name: string) => wb.page.getByRole('img', { name }).getAttribute('data-series');
    expect((await series('Accuracy vs measured memorization'))!.split(',')).toContain('finetuned');
    expect((await series('Accuracy vs pruned fraction'))!.split(',')).not.toContain('finetuned');
    const swatch = await table
      .locator('tbody tr .swatch')
      .nth(1)
      .evaluate(
        (e) =>
          (globalThis as unknown as { getComputedStyle(x: unknown): { backgroundColor: string } }).getComputedStyle(e)
            .backgroundColor,
      );
    expect(swatch).toBe('rgb(255, 127, 14)');
    await shot('compare-finetuned');
  }, 600_000);
});
