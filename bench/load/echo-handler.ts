// The in-process echo handler of the dispatcher benchmark (a `module` handler): returns the request.
export function handle(request: unknown): unknown {
  return request;
}
