from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # People join a tenant through an invitation (or `add_member`), never by signing up.
        return False
