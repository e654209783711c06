"""Flask-AppBuilder's own strings that our catalogues translate, listed for extraction.

FAB's Russian catalogue leaves some of its screen texts untranslated ("Add", "Edit",
"Delete", "Show"...) and gets a few others wrong. Our catalogue is merged over FAB's and
wins, so it fills those gaps; listing the msgids here lets `make catalog` extract them,
so that `pybabel update` keeps them instead of marking them obsolete. Nothing imports
this module. Re-check the list when upgrading FAB (tools/fab_gaps.py prints FAB's gaps).
"""

from flask_babel import lazy_gettext

FAB_STRINGS = (
    # Missing, empty or fuzzy in FAB's Russian catalogue.
    lazy_gettext("Add"),
    lazy_gettext("Add Group"),
    # Deleting archives: the confirmation says so (our catalogues reword FAB's question).
    lazy_gettext("Are you sure you want to delete this item?"),
    lazy_gettext("Contains (insensitive)"),
    lazy_gettext("Database Error"),
    lazy_gettext("Delete"),
    lazy_gettext("Detail"),
    lazy_gettext("Edit"),
    lazy_gettext("Edit Group"),
    lazy_gettext("Edit User Information"),
    lazy_gettext("Either select a role or a group"),
    lazy_gettext("Groups"),
    lazy_gettext("In"),
    lazy_gettext("List Groups"),
    lazy_gettext(
        "Must have at least two capital letters, one special character, two digits, "
        "three lower case letters and a minimal length of 10."
    ),
    lazy_gettext("Not In"),
    lazy_gettext("Not a valid choice"),
    lazy_gettext("Order by"),
    lazy_gettext("Select Value"),
    lazy_gettext("Show"),
    lazy_gettext("Show Group"),
    lazy_gettext("Sign In with "),
    lazy_gettext("Sign in using:"),
    lazy_gettext("Start with"),
    lazy_gettext("The user's password for authentication"),
    lazy_gettext("User information changed"),
    lazy_gettext("User(s) exists in the group, cannot delete"),
    lazy_gettext("User(s) exists in the role, cannot delete"),
    # Translated wrongly or with typos in FAB's Russian catalogue.
    lazy_gettext("Added Row"),
    lazy_gettext("Associated data exists, please delete them first"),
    lazy_gettext("Changed Row"),
    lazy_gettext("Deleted Row"),
    lazy_gettext("Ends with"),
    lazy_gettext("Failed login count"),
    lazy_gettext("Page size"),
    lazy_gettext("Profile"),
    lazy_gettext("The user's email, this will also be used for OID auth"),
    lazy_gettext("User confirmation needed"),
    lazy_gettext("Views/Menus"),
    lazy_gettext("Write the user first name or names"),
    lazy_gettext("Write the user last name"),
    # Written without gettext in FAB's confirm and alert dialogs (confirm.html, alert.html);
    # translated once the app overrides those two templates with _("Cancel") and _("OK").
    lazy_gettext("Cancel"),
    lazy_gettext("OK"),
)
