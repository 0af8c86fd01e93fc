import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('memlens', {});
