// Progress for the trainer on stderr: a cli-progress bar on a terminal, plain lines in logs and CI.
import cliProgress from 'cli-progress';

export interface Stage {
  tick(count?: number): void;
  done(detail?: string): void;
}

export interface Progress {
  stage(name: string, total: number): Stage;
  note(message: string): void;
}

export function silentProgress(): Progress {
  return { stage: () => ({ tick() {}, done() {} }), note() {} };
}

export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  if (!stream.isTTY) return plainProgress(stream, elapsed);
  return {
    note: (message) => stream.write(`${message}\n`),
    stage(name, total) {
      const bar = new cliProgress.SingleBar(
        { stream, format: `${name.padEnd(22)} [{bar}] {percentage}% {value}/{total}`, hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Math.max(total, 1), 0);
      let value = 0;
      return {
        tick(count = 1) {
          value += count;
          bar.update(value);
        },
        done(detail) {
          bar.update(Math.max(total, 1));
          bar.stop();
          stream.write(`${name} done at ${elapsed()}${detail ? `: ${detail}` : ''}\n`);
        },
      };
    },
  };
}

/** One line per tenth of a stage, so a CI log shows movement without thousands of lines. */
function plainProgress(stream: NodeJS.WriteStream, elapsed: () => string): Progress {
  return {
    note: (message) => stream.write(`${message}\n`),
    stage(name, total) {
      let value = 0;
      let lastTenth = 0;
      return {
        tick(count = 1) {
          value += count;
          const tenth = total > 0 ? Math.floor((value * 10) / total) : 10;
          if (tenth > lastTenth && tenth < 10) {
            lastTenth = tenth;
            stream.write(`${name}: ${tenth * 10}% (${value}/${total}) ${elapsed()}\n`);
          }
        },
        done(detail) {
          stream.write(`${name}: done at ${elapsed()}${detail ? ` (${detail})` : ''}\n`);
        },
      };
    },
  };
}
