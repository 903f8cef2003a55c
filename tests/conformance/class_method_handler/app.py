class ok:
    @staticmethod
    def inner(event, context):
        return 1
