"""CKAN core and plugin messages the portal translates or corrects in Vietnamese.

CKAN core's Vietnamese catalogue covers about half of its messages and gets some senses wrong
("Visibility" as "Tầm nhìn", i.e. vision). Listing the messages here puts them in the portal's
own catalogue (`make i18n`), whose translations override core's when the plugin loads.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for extraction without translating it here."""
    return message


CORE_MESSAGES = (
    N_("Visibility"),
    N_("Missing value"),
    N_("Must be a positive integer"),
    N_("Date format incorrect"),
    N_("Organization"),
    N_("Organizations"),
    N_("License"),
    # Found by the crawler (tests/test_untranslated.py, issue 12 §3): CKAN core's and
    # ckanext-harvest's texts that their Vietnamese catalogues leave untranslated or fuzzy.
    N_("Account"),
    N_("Breadcrumb"),
    N_("Skip to main content"),
    N_("Toggle navigation"),
    N_("Profile settings"),
    N_("Follow"),
    N_("Submit"),
    N_(
        'You can use <a href="#markdown" title="Markdown quick reference" data-bs-toggle="popover" data-bs-content="%(markdown_tooltip)s" data-bs-html="true">Markdown formatting</a> here'
    ),
    N_("http://example.com/my-image.jpg"),
    N_("Data last updated"),
    N_("Dataset description:"),
    N_("Id"),
    N_("Metadata last updated"),
    N_("State"),
    N_("All activity types"),
    N_("No activity found."),
    N_("No activity found"),
    N_("Unfollow"),
    N_("Create harvest source"),
    N_("This dataset has no data"),
    N_("Email or username"),
    N_(
        "Enter your email address or username into the box and we will send you an email with a link to enter a new password."
    ),
    N_("Request Reset"),
    N_("Dataset not found or you have no permission to view it"),
    N_("Profile picture"),
    N_("Profile picture URL"),
    N_("API Tokens"),
    N_("Old Password"),
    N_("Open Data Commons Open Database License (ODbL)"),
    N_("Open Data Commons Public Domain Dedication and License (PDDL)"),
    N_(
        'The <i>data license</i> you select above only applies to the contents of any resource files that you add to this dataset. By submitting this form, you agree to release the <i>metadata</i> values that you enter into the form under the <a href="http://opendatacommons.org/licenses/odbl/1-0/">Open Database License</a>.'
    ),
    N_("Harvest Sources"),
    N_("Username or Email"),
    N_("Here are some reasons you may not be seeing expected views:"),
    N_(
        "If a view requires the DataStore, the DataStore plugin may not be enabled, or the data may not have been pushed to the DataStore, or the DataStore hasn't finished processing the data yet"
    ),
    N_("No view has been created that is suitable for this resource"),
    N_("The site administrators may not have enabled the relevant view plugins"),
    N_("Reorder resources"),
    N_("There is no description for this harvest source"),
    N_("Click here to login"),
    N_("You might need to login to access this page."),
    N_("Joe Bloggs"),
    N_("joe@example.com"),
    N_("username"),
    N_("Last Active"),
    N_("Add Harvest Source"),
    N_("Frequency"),
    N_("Search harvest sources..."),
    N_("Type"),
    N_("There are no datasets associated to this harvest source."),
    N_("Administer CKAN"),
    N_(
        '<p>As a sysadmin user you have full control over this CKAN instance. Proceed with care!</p> <p>For guidance on using sysadmin features, see the CKAN  <a href="%(docs_url)s" target="_blank" rel="noreferrer">sysadmin guide</a></p>'
    ),
    N_("Current Sysadmins"),
    N_("Promote"),
    N_("Promote user to Sysadmin"),
    N_("Revoke Sysadmin permission"),
    N_("Username"),
    N_("Configuration"),
    N_("Create Harvest Source"),
    N_("Harvest sources"),
    N_(
        " Harvest sources allow importing remote metadata into this catalog. Remote sources can be other catalogs such as other CKAN instances, CSW servers or Web Accessible Folders (WAF) (depending on the actual harvesters enabled for this instance). "
    ),
    N_("No organization"),
    N_("Save"),
    N_("This should include the http:// part of the URL"),
)
