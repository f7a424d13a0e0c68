import type { Worker } from "node:worker_threads";
export declare function loaderThread(): Worker;
export declare function dropLoaderThread(w: Worker): void;
