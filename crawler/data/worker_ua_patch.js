/* Spliced into shared worker scripts (crawler/worker_disguise.py), joined into one line there: no line comments,
   every statement ends with a semicolon. Makes navigator.userAgentData in this worker answer what the page's
   does. A no-op outside workers and where the brands are right already (a second module of the same worker). */
(() => { try {
  const meta = __CW_UA_METADATA__;
  if (typeof WorkerGlobalScope !== "function" || !(self instanceof WorkerGlobalScope)) return;
  if (typeof NavigatorUAData !== "function" || !self.navigator || !self.navigator.userAgentData) return;
  const proto = NavigatorUAData.prototype;
  const brandsGetter = Object.getOwnPropertyDescriptor(proto, "brands");
  if (!brandsGetter || typeof brandsGetter.get !== "function") return;
  const key = list => list.map(b => b.brand + "/" + b.version).join(",");
  if (key(brandsGetter.get.call(self.navigator.userAgentData)) === key(meta.brands)) return;
  const copy = list => list.map(b => ({brand: b.brand, version: b.version}));
  const hints = {
    brands: () => copy(meta.brands), fullVersionList: () => copy(meta.fullVersionList),
    uaFullVersion: () => meta.fullVersion, platform: () => meta.platform, platformVersion: () => meta.platformVersion,
    architecture: () => meta.architecture, bitness: () => meta.bitness, model: () => meta.model,
    mobile: () => meta.mobile, wow64: () => meta.wow64,
  };
  /* Proxies around the native functions keep their name, length and errors (an illegal invocation throws);
     Function.prototype.toString answers for each as for its original, as crawler/collectors/instrumentation.js does. */
  const originals = new WeakMap();
  const has = WeakMap.prototype.has, get = WeakMap.prototype.get;
  const wrap = (original, after) => {
    const wrapper = new Proxy(original, {apply: (target, that, args) => after(Reflect.apply(target, that, args))});
    originals.set(wrapper, original);
    return wrapper;
  };
  const toString = Function.prototype.toString;
  const unwrap = f => Reflect.apply(has, originals, [f]) ? Reflect.apply(get, originals, [f]) : f;
  const toStringWrapper = new Proxy(toString, {apply: (target, that, args) => Reflect.apply(target, unwrap(that), args)});
  originals.set(toStringWrapper, toString);
  Object.defineProperty(Function.prototype, "toString", {
    ...Object.getOwnPropertyDescriptor(Function.prototype, "toString"), value: toStringWrapper,
  });
  Object.defineProperty(proto, "brands", {
    ...brandsGetter, get: wrap(brandsGetter.get, () => Object.freeze(copy(meta.brands))),
  });
  const method = (name, after) => {
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (d && typeof d.value === "function") Object.defineProperty(proto, name, {...d, value: wrap(d.value, after)});
  };
  method("getHighEntropyValues", pending => pending.then(values => {
    for (const name of Object.keys(hints)) if (name in values) values[name] = hints[name]();
    return values;
  }));
  method("toJSON", json => {
    if (json && typeof json === "object" && "brands" in json) json.brands = copy(meta.brands);
    return json;
  });
} catch (e) { } })();
