import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import * as os from 'node:os';
import { join } from 'node:path';
import type { OsContext } from '@sentry/core';

/**
 * The `os` context of @sentry/node 11.12.0's Context integration: name, version, kernel and build, from
 * the Linux distribution's release file, macOS's `sw_vers`, or the platform's name elsewhere.
 */

const PLATFORM_NAMES: Record<string, string> = {
  aix: 'IBM AIX', freebsd: 'FreeBSD', openbsd: 'OpenBSD', sunos: 'SunOS', win32: 'Windows', ohos: 'OpenHarmony', android: 'Android',
};

/** Release files under /etc, in Sentry's order, and the distributions each may name. */
const LINUX_DISTROS: Array<{ name: string; distros: string[] }> = [
  { name: 'fedora-release', distros: ['Fedora'] },
  { name: 'redhat-release', distros: ['Red Hat Linux', 'Centos'] },
  { name: 'redhat_version', distros: ['Red Hat Linux'] },
  { name: 'SuSE-release', distros: ['SUSE Linux'] },
  { name: 'lsb-release', distros: ['Ubuntu Linux', 'Arch Linux'] },
  { name: 'debian_version', distros: ['Debian'] },
  { name: 'debian_release', distros: ['Debian'] },
  { name: 'arch-release', distros: ['Arch Linux'] },
  { name: 'gentoo-release', distros: ['Gentoo Linux'] },
  { name: 'novell-release', distros: ['SUSE Linux'] },
  { name: 'alpine-release', distros: ['Alpine Linux'] },
];

const matchFirst = (regex: RegExp, text: string): string | undefined => regex.exec(text)?.[1];

/** The version in a (lower-cased) release file, by distribution id. */
const LINUX_VERSIONS: Record<string, (content: string) => string | undefined> = {
  alpine: (content) => content,
  arch: (content) => matchFirst(/distrib_release=(.*)/, content),
  centos: (content) => matchFirst(/release ([^ ]+)/, content),
  debian: (content) => content,
  fedora: (content) => matchFirst(/release (..)/, content),
  mint: (content) => matchFirst(/distrib_release=(.*)/, content),
  red: (content) => matchFirst(/release ([^ ]+)/, content),
  suse: (content) => matchFirst(/VERSION = (.*)\n/, content),
  ubuntu: (content) => matchFirst(/distrib_release=(.*)/, content),
};

const distroId = (name: string): string => name.split(' ')[0].toLowerCase();

/** Distribution and version from the release file in `etcFiles`; `linux` itself when none is recognised. */
export function linuxDistro(linux: OsContext, etcFiles: string[], read: (path: string) => Promise<string>): Promise<OsContext> {
  const release = LINUX_DISTROS.find((file) => etcFiles.includes(file.name));
  if (!release) return Promise.resolve(linux);
  return read(join('/etc', release.name)).then((raw) => {
    const contents = raw.toLowerCase();
    const name = release.distros.find((distro) => contents.includes(distroId(distro))) || release.distros[0];
    return { ...linux, name, version: LINUX_VERSIONS[distroId(name)]?.(contents) };
  });
}

async function linuxInfo(): Promise<OsContext> {
  const linux: OsContext = { kernel_version: os.release(), name: 'Linux' };
  try {
    return await linuxDistro(linux, await readdir('/etc'), (path) => readFile(path, 'utf-8'));
  } catch {
    return linux;
  }
}

async function darwinInfo(): Promise<OsContext> {
  const darwin: OsContext = { kernel_version: os.release(), name: 'Mac OS X', version: `10.${Number(os.release().split('.')[0]) - 4}` };
  try {
    const output = await new Promise<string>((resolve, reject) => {
      execFile('/usr/bin/sw_vers', (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
    darwin.name = matchFirst(/^ProductName:\s+(.*)$/m, output);
    darwin.version = matchFirst(/^ProductVersion:\s+(.*)$/m, output);
    darwin.build = matchFirst(/^BuildVersion:\s+(.*)$/m, output);
  } catch {
    // The kernel-derived guess stands.
  }
  return darwin;
}

/** The OS context, read once per integration (it does not change while the process runs). */
export function osContext(): Promise<OsContext> {
  const platform = os.platform();
  if (platform === 'darwin') return darwinInfo();
  if (platform === 'linux') return linuxInfo();
  return Promise.resolve({ name: PLATFORM_NAMES[platform] || platform, version: os.release() });
}
