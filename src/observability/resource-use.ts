/** What a turn cost the machine: CPU time since it began, and the process's peak memory. */
export function resourceUse(start: NodeJS.CpuUsage): { cpuMilliseconds: number; peakRssBytes: number } {
  const cpu = process.cpuUsage(start);
  return { cpuMilliseconds: (cpu.user + cpu.system) / 1000, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
}
