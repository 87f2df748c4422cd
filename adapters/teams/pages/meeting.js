// The tab's page in a meeting (side panel, details tab) or chat: it only tells Teams it has loaded.
(function () {
  "use strict";
  if (typeof microsoftTeams !== "undefined") {
    microsoftTeams.app.initialize().catch(function () {
      // Opened outside Teams: the page reads the same without it.
    });
  }
})();
