import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startSimulator } from '../helpers/simulator';

const FIXTURE = join(__dirname, 'fixtures', 'stop-leaves-no-handles.ts');

function runFixture(): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    // Held-back answers last 30 s or more: exiting well before that proves
    // stop() cleared them rather than waiting them out.
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
  });
}

describe('Upstream simulator: stop()', () => {
  it('leaves no open handle, even with answers still held back', async () => {
    // Act
    const started = Date.now();
    const result = await runFixture();

    // Assess
    expect(result).toEqual({ code: 0, stdout: 'stopped live=2\n' });
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('refuses connections once stopped, and can be stopped twice', async () => {
    // Prepare
    const sim = await startSimulator();
    const url = `${sim.baseUrl}/campaigns`;

    // Act
    await sim.stop();
    await sim.stop();

    // Assess
    await expect(fetch(url)).rejects.toThrow();
  });
});
