import type {
  ClassMemResult,
  CompareResult,
  FinetuneResult,
  LayerMemResult,
  ModelInfo,
  ProjectInfo,
  PruneResult,
  UnitMemResult,
} from '../../shared/api.js';

export type Screen = 'project' | 'layers' | 'units' | 'prune' | 'compare' | 'finetune';

/**
 * What the user has open and computed so far; every screen reads and fills it. Results are
 * replaced whole, never edited, so they are raw state: no deep proxies over large documents, and
 * they pass through IPC's structured clone (a proxy would not).
 */
class Session {
  screen = $state<Screen>('project');
  project = $state.raw<ProjectInfo | undefined>(undefined);
  info = $state.raw<ModelInfo | undefined>(undefined);
  unitmem = $state.raw<UnitMemResult | undefined>(undefined);
  classmem = $state.raw<ClassMemResult | undefined>(undefined);
  layermem = $state.raw<LayerMemResult | undefined>(undefined);
  pruned = $state.raw<PruneResult | undefined>(undefined);
  compare = $state.raw<CompareResult | undefined>(undefined);
  finetune = $state.raw<FinetuneResult | undefined>(undefined);

  /** A new project (or model) makes every earlier result stale. */
  open(project: ProjectInfo): void {
    this.project = project;
    this.info = undefined;
    this.unitmem = undefined;
    this.classmem = undefined;
    this.layermem = undefined;
    this.pruned = undefined;
    this.compare = undefined;
    this.finetune = undefined;
  }
}

export const session = new Session();
