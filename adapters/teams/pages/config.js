// The tab's configuration page: Teams shows it when someone adds Customer Moment to a meeting, chat or
// channel. Saving points the tab at the meeting page next to this one, on this same server (behind the same
// address prefix, if any); there is nothing to choose.
(function () {
  "use strict";
  var CONTENT_PAGE = "meeting"; // relative to this page: /teams/tab/config -> /teams/tab/meeting
  var status = document.getElementById("status");

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  if (typeof microsoftTeams === "undefined") {
    say("Open this page from Microsoft Teams to add the tab.");
    return;
  }
  microsoftTeams.app.initialize().then(function () {
    microsoftTeams.pages.config.registerOnSaveHandler(function (saveEvent) {
      microsoftTeams.pages.config
        .setConfig({
          entityId: "customer-moment",
          contentUrl: new URL(CONTENT_PAGE, window.location.href).href,
          suggestedDisplayName: "Customer Moment"
        })
        .then(
          function () {
            saveEvent.notifySuccess();
          },
          function (error) {
            saveEvent.notifyFailure(String(error));
          }
        );
    });
    microsoftTeams.pages.config.setValidityState(true);
    say("Press Save to add the tab.");
  }, function () {
    say("Open this page from Microsoft Teams to add the tab.");
  });
})();
