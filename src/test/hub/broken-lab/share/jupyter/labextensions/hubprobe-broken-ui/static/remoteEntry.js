// A federated labextension container by hand (no build, nothing downloaded): JupyterLab loads it like
// any prebuilt extension, and its one plugin throws when activated, as a labextension built against
// the wrong JupyterLab does. JupyterLab then logs "Plugin '...' failed to activate." to the console.
var _JUPYTERLAB = (window._JUPYTERLAB = window._JUPYTERLAB || {});
_JUPYTERLAB["hubprobe-broken-ui"] = {
  init: function () {
    return Promise.resolve();
  },
  get: function (module) {
    return Promise.resolve(function () {
      if (module !== "./extension") {
        throw new Error("hubprobe-broken-ui has no module " + module);
      }
      return {
        __esModule: true,
        default: {
          id: "hubprobe-broken-ui:plugin",
          autoStart: true,
          activate: function () {
            throw new Error("hubprobe-broken-ui: simulated activation failure");
          },
        },
      };
    });
  },
};
