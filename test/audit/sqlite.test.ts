// The audit contract suites on SQLite (WAL), a fresh database file per test.
import { sqliteTarget } from '../store/targets.ts';
import { readContract } from './contract-read.ts';
import { tamperContract } from './contract-tamper.ts';
import { writeContract } from './contract-write.ts';

writeContract(sqliteTarget);
tamperContract(sqliteTarget);
readContract(sqliteTarget);
