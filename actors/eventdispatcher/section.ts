// Starts the `eventdispatcher` section: routers first (waiting until they listen), then services.

import os from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ActorDef, ActorRef, ActorSystem, RunEnv, SectionHandle } from '../../runtime/index.ts';
import { splitHostPort, type EdSection } from './config.ts';
import { RouterActor, type RouterInfo, type RouterMsg } from './router-actor.ts';
import { serverNameFrom } from './router.ts';
import type { ServiceProps } from './service.ts';

export async function startSection(system: ActorSystem, config: EdSection, env: RunEnv): Promise<SectionHandle> {
  const lines: string[] = [];
  const routers: ActorRef<RouterMsg>[] = [];
  for (const r of config.routers) {
    const serverName = r.serverName ?? serverNameFrom(os.hostname());
    const ref = system.spawn(RouterActor, {
      name: r.name,
      thread: r.thread,
      props: {
        serverName,
        tcp: r.tcp === null ? null : splitHostPort(r.tcp),
        udp: r.udp === null ? null : { ...splitHostPort(r.udp), secret: r.signalSecret },
        unix: r.unix === null ? null : { path: isAbsolute(r.unix) ? r.unix : resolve(env.dir, r.unix) },
        knownServices: [...r.knownServices, ...config.services.map((s) => s.service ?? s.name)],
        maxLine: r.maxLine,
        debug: r.debug,
      },
    });
    let info: RouterInfo;
    try {
      info = await ref.ask<RouterInfo>({ t: 'await-ready' }, { timeoutMs: 10_000 });
    } catch (err) {
      await system.stopActor(ref);
      throw Object.assign(new Error(`eventdispatcher router ${r.name}: ${(err as Error).message}`), { exitCode: 1 });
    }
    routers.push(ref);
    lines.push(`event dispatcher router ${serverName} (/${r.name}): tcp ${info.tcp ?? '-'}, udp ${info.udp ?? '-'}, unix ${info.unix ?? '-'}`);
  }
  for (const s of config.services) {
    const url = s.module === undefined ? new URL('./example-service.ts', import.meta.url).href : pathToFileURL(resolve(env.dir, s.module)).href;
    const mod = (await import(url)) as Record<string, unknown>;
    const def = mod[s.export] as ActorDef<unknown, ServiceProps<unknown>> | undefined;
    if (def === undefined || typeof def !== 'object' || !('create' in def)) {
      throw Object.assign(new Error(`${env.file}: eventdispatcher.services.${s.name}: ${url} has no service export "${s.export}"`), { exitCode: 2 });
    }
    const service = s.service ?? s.name;
    system.spawn(def, { name: s.name, thread: s.thread, props: { service, router: s.router, pauses: s.pauses, props: s.props } });
    lines.push(`event dispatcher service ${service} (/${s.name}) -> ${s.router}`);
  }
  if (config.logrotate.length > 0) {
    const { LogrotateMessenger } = await import('./udp.ts');
    for (const l of config.logrotate) {
      system.spawn(LogrotateMessenger, { name: l.name, thread: 'main', props: { ...splitHostPort(l.listen), secret: l.secret } });
      lines.push(`event dispatcher logrotate messenger (/${l.name}) on udp ${l.listen}`);
    }
  }
  return {
    describe: () => lines,
    // Services that understand DISCONNECTING hear it before the actors stop (the router answers
    // once its connections flushed and closed, or after its 2 s flush deadline).
    async beforeStop() {
      await Promise.all(routers.map((r) => r.ask({ t: 'shutdown' }, { timeoutMs: 3000 }).catch(() => null)));
    },
  };
}
