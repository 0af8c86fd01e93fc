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

/** What the user has open and computed so far; every screen reads and fills it. */
class Session {
  screen = $state<Screen>('project');
  project = $state<ProjectInfo | undefined>(undefined);
  info = $state<ModelInfo | undefined>(undefined);
  unitmem = $state<UnitMemResult | undefined>(undefined);
  classmem = $state<ClassMemResult | undefined>(undefined);
  layermem = $state<LayerMemResult | undefined>(undefined);
  pruned = $state<PruneResult | undefined>(undefined);
  compare = $state<CompareResult | undefined>(undefined);
  finetune = $state<FinetuneResult | undefined>(undefined);

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
