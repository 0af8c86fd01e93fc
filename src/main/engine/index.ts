// The engine facade: the one object every host (Electron IPC, HTTP server, tests) calls.
// Long calls run as jobs (progress + cancel by jobId); the engine parts stay plain functions.
import { extname, join } from 'node:path';
import type { Job, JobControl, MemLensApi, ProjectInfo } from '../../shared/api.js';
import { openSource, samplePng, type DataSource } from './data/index.js';
import { MemLensError } from './errors.js';
import { writeFileAtomic } from './files.js';
import { evaluate } from './evaluate/evaluate.js';
import { compare } from './evaluate/sweep.js';
import { openSavedSweep } from './evaluate/saved-sweep.js';
import { listSweeps } from './evaluate/sweep-store.js';
import { finetune } from './finetune/job.js';
import { listFinetuneRuns } from './finetune/runs.js';
import { computeClassMem } from './metrics/classmem-job.js';
import { computeLayerMem } from './metrics/layermem-job.js';
import { computeUnitMem } from './metrics/unitmem-job.js';
import { JobRegistry } from './project/jobs.js';
import { createProject, DEMO_PROJECT, loadProject, RecentProjects } from './project/project.js';
import { pruneModel } from './prune/export.js';
import { inspectModel } from './units/model-info.js';

export interface EngineOptions {
  /** Folder with demo/project.memlens.json (see findResourcesDir). */
  resourcesDir: string;
  /** Folder for the host's small state files (recent projects). */
  stateDir: string;
}

export interface Engine extends MemLensApi {
  readonly jobs: JobRegistry;
}

/** Kinds of files a screen may export (charts, tables, reports): never a model or a project. */
const EXPORT_EXTENSIONS = ['.png', '.svg', '.csv', '.json', '.html'];

export function createEngine(opts: EngineOptions): Engine {
  const jobs = new JobRegistry();
  const recent = new RecentProjects(opts.stateDir);

  /** Runs a long engine call as a job: strips the jobId so engine parts see their own request type. */
  const job = <R extends Job, T>(req: R, work: (r: Omit<R, 'jobId'>, ctl: JobControl) => Promise<T>) => {
    const { jobId, ...rest } = req;
    return jobs.run(jobId, (ctl) => work(rest, ctl));
  };
  // The Units screen asks for one image per click: keep the last opened source (IDX files are gzipped).
  let lastSource: Promise<DataSource> | undefined;
  let lastSourcePath = '';
  const source = (path: string) => {
    if (path !== lastSourcePath || !lastSource) {
      lastSourcePath = path;
      lastSource = openSource(path);
      lastSource.catch(() => (lastSource = undefined));
    }
    return lastSource;
  };
  const remember = async (opened: Promise<ProjectInfo>) => {
    const info = await opened;
    await recent.add(info.path);
    return info;
  };

  return {
    jobs,
    demoProject: () => remember(loadProject(join(opts.resourcesDir, DEMO_PROJECT))),
    openProject: (req) => remember(loadProject(req.path)),
    createProject: (req) => remember(createProject(req.path, req.project)),
    recentProjects: () => recent.list(),
    inspect: (req) => inspectModel(req.model),
    unitmem: (req) => job(req, computeUnitMem),
    classmem: (req) => job(req, computeClassMem),
    layermem: (req) => job(req, computeLayerMem),
    prune: (req) => job(req, pruneModel),
    evaluate: (req) => job(req, evaluate),
    compare: (req) => job(req, compare),
    openCompare: (req) => openSavedSweep(req.path),
    listSweeps: (req) => listSweeps(req.project),
    finetune: (req) => job(req, finetune),
    listFinetuneRuns: (req) => listFinetuneRuns(req.project),
    sampleImage: async (req) =>
      `data:image/png;base64,${(await samplePng(await source(req.data), req.id)).toString('base64')}`,
    saveExport: async (req) => {
      const ext = extname(req.path).toLowerCase();
      if (!EXPORT_EXTENSIONS.includes(ext)) {
        throw new MemLensError(
          'BAD_INPUT',
          `export ${req.path}: extension must be one of ${EXPORT_EXTENSIONS.join(' ')}`,
        );
      }
      await writeFileAtomic(req.path, Buffer.from(req.content, req.encoding));
      return req.path;
    },
    cancel: async (req) => {
      jobs.cancel(req.jobId);
    },
  };
}
