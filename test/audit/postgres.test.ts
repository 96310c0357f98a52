// The audit contract suites on the real PostgreSQL (DATABASE_URL or the local server), a fresh
// schema per test.
import { postgresTarget } from '../store/targets.ts';
import { readContract } from './contract-read.ts';
import { tamperContract } from './contract-tamper.ts';
import { writeContract } from './contract-write.ts';

writeContract(postgresTarget);
tamperContract(postgresTarget);
readContract(postgresTarget);
