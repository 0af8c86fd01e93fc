import type { ProjectInfo } from '../../shared/api.js';
import { client } from './api/instance.js';
import { session } from './session.svelte.js';

/** Opens a project and reads its model; a model that is not ONNX fails here, with the engine's message. */
export async function openProject(load: () => Promise<ProjectInfo>): Promise<void> {
  const project = await load();
  session.open(project);
  session.info = await client.inspect({ model: project.model });
}

/** Swaps the encoder of the open project (menu: Open Model); the data and normalization stay. */
export async function openModel(model: string): Promise<void> {
  if (!session.project) throw new Error('open a project first: a model needs its data and normalization');
  const info = await client.inspect({ model });
  session.open({ ...session.project, model });
  session.info = info;
}
