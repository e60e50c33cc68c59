// The package as an app would import it: by name, through its package.json `exports`
// (consumers.mjs links node_modules/clerk-rs to the built pkg/).
import { Clerk } from 'clerk-rs';
import { run } from '../flow.js';

run(Clerk);
