// The in-process echo handler of the dispatcher benchmark (a `module` handler): returns the request.
// It never blocks, and says so: the benchmark places it inline, on the dispatcher's I/O thread.
export const nonBlocking = true;

export function handle(request: unknown): unknown {
  return request;
}
